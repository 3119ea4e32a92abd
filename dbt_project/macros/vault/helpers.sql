{#- Shared pieces of the vault table macros. -#}

{#- The incremental watermark: the newest load_ts already in this table, minus a lookback
    (var vault_lookback) so rows of a raw transaction that committed late are still read.
    The anti-joins of each macro make the overlap harmless. -#}
{% macro vault_watermark() -%}
    (
        select coalesce(max(load_ts), cast('-infinity' as timestamptz)) - interval '{{ var("vault_lookback") }}'
        from {{ this }}
    )
{%- endmacro %}


{#- A list from a string or a list (AutomateDV accepts both). -#}
{% macro vault_as_list(value) -%}
    {%- if value is none -%}
        {{ return([]) }}
    {%- elif value is string -%}
        {{ return([value]) }}
    {%- else -%}
        {{ return(value | list) }}
    {%- endif -%}
{%- endmacro %}


{#- source_model entries: "stg_x", or {"model": "stg_x", "columns": {"user_hk": "viewer_hk"}}
    where columns maps a column of the vault table to the column of that staging model
    that feeds it (a role: the viewer of a view is a user), and an optional "where" keeps
    only some rows (a polymorphic reference: target_hk is a post when target_type = 'post'). -#}
{% macro vault_sources(source_model) -%}
    {%- if source_model is string or source_model is mapping -%}
        {%- set entries = [source_model] -%}
    {%- else -%}
        {%- set entries = source_model -%}
    {%- endif -%}
    {%- set out = [] -%}
    {%- for entry in entries -%}
        {%- if entry is string -%}
            {%- do out.append({"model": entry, "columns": {}, "where": none}) -%}
        {%- else -%}
            {%- do out.append({"model": entry["model"], "columns": entry.get("columns", {}), "where": entry.get("where")}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}


{#- "<source column> as <vault column>" for each vault column of one source entry. -#}
{% macro vault_select_columns(entry, columns) -%}
    {%- for col in columns -%}
        {%- set src = entry["columns"].get(col, col) -%}
        {{ src }}{% if src != col %} as {{ col }}{% endif %}
        {%- if not loop.last %},
        {% endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- CTEs `unioned` (every source_<n> CTE) and `ranked` (key_rank = 1 on the first sighting of
    each key, by load time then record source): shared by hubs and links. -#}
{% macro vault_first_seen_ctes(sources, src_pk, src_ldts, src_source) -%}
unioned as (
    {%- for entry in sources %}
    select * from source_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ src_pk }} order by {{ src_ldts }}, {{ src_source }}
        ) as key_rank
    from unioned
),
{%- endmacro %}


{#- The FROM/WHERE of a hub or link: first sightings from `ranked` whose key the table does
    not hold yet (insert-only, so a key is loaded once). -#}
{% macro vault_first_seen_new_keys(src_pk) -%}
from ranked
    where
        ranked.key_rank = 1
        {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as existing
            where existing.{{ src_pk }} = ranked.{{ src_pk }}
        )
        {%- endif %}
{%- endmacro %}
