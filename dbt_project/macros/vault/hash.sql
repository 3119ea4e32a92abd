{#-
    The one hashing rule of the vault.

    hash(columns): MD5 of the business key columns, each cast to text, trimmed and
    upper-cased, empty strings and nulls replaced by a fixed token (var hash_null_token),
    joined with var hash_separator. When every key column is null the key itself is null
    (no entity, no relationship), so an optional reference never becomes a hub row. A single key hashes the same in every model, so
    hash('post_id') in one staging model equals hash('target_id') in another when both
    hold the same post id.

    hashdiff(columns): the same over the payload columns in sorted order (so the column
    order of a model never changes a hashdiff), trimmed but not upper-cased, so a change
    of case is a change.
-#}
{% macro hash(columns, upper=true, null_when_empty=true) -%}
    {%- set cols = [columns] if columns is string else columns -%}
    {%- if null_when_empty %}
    case when coalesce({% for col in cols %}nullif(trim(cast({{ col }} as text)), ''){% if not loop.last %}, {% endif %}{% endfor %}) is not null then
    {%- endif %}
    md5(
    {%- for col in cols %}
        coalesce(nullif({% if upper %}upper({% endif %}trim(cast({{ col }} as text)){% if upper %}){% endif %}, ''), '{{ var("hash_null_token") }}')
        {%- if not loop.last %} || '{{ var("hash_separator") }}' ||{% endif %}
    {%- endfor %}
    )
    {%- if null_when_empty %} end{% endif %}
{%- endmacro %}


{% macro hashdiff(columns) -%}
    {%- set cols = [columns] if columns is string else columns -%}
    {{ hash(cols | sort, upper=false, null_when_empty=false) }}
{%- endmacro %}
