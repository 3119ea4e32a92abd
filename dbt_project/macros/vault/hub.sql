{#-
    hub: one row per business key, the first time any source saw it (insert-only).

    src_pk       hash key column (e.g. user_hk)
    src_nk       business key column(s)
    src_ldts     load timestamp column of the staging models (load_ts)
    src_source   record source column of the staging models (record_source)
    source_model one staging model or a list; see vault_sources for role mappings
-#}
{% macro hub(src_pk, src_nk, src_ldts, src_source, source_model) -%}
    {%- set nk = vault_as_list(src_nk) -%}
    {%- set sources = vault_sources(source_model) -%}
    {%- set cols = [src_pk] + nk + [src_ldts, src_source] -%}
{{ config(indexes=vault_indexes(src_pk, 'hub')) }}
with

{% for entry in sources -%}
source_{{ loop.index }} as (
    select
        {{ vault_select_columns(entry, cols) }}
    from {{ ref(entry["model"]) }}
    where
        {{ entry["columns"].get(src_pk, src_pk) }} is not null
        {%- if entry["where"] %}
        and ({{ entry["where"] }})
        {%- endif %}
        {%- if is_incremental() %}
        and {{ entry["columns"].get(src_ldts, src_ldts) }} > {{ vault_watermark() }}
        {%- endif %}
),

{% endfor -%}
{{ vault_first_seen_ctes(sources, src_pk, src_ldts, src_source) }}

final as (
    select
        ranked.{{ src_pk }},
        {%- for col in nk %}
        ranked.{{ col }},
        {%- endfor %}
        ranked.{{ src_ldts }} as load_ts,
        ranked.{{ src_source }} as record_source
    {{ vault_first_seen_new_keys(src_pk) }}
)

select * from final
{%- endmacro %}
