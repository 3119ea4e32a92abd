{#-
    link: one row per relationship (or, with src_payload, per transaction: a t-link),
    the first time any source saw it (insert-only). Rows with a null hash key or foreign
    hash key are skipped: optional relationships get their own link.

    src_pk       link hash key (hash of every foreign business key, + dependent keys)
    src_fk       foreign hash keys (and dependent-child/type columns, e.g. target_type)
    src_payload  (t-link) attributes of the transaction, loaded with it
    src_eff      (t-link) when it happened (occurred_at), stored as effective_from
-#}
{% macro link(src_pk, src_fk, src_ldts, src_source, source_model, src_payload=none, src_eff=none) -%}
    {%- set fk = vault_as_list(src_fk) -%}
    {%- set payload = vault_as_list(src_payload) -%}
    {%- set eff = vault_as_list(src_eff) -%}
    {%- set sources = vault_sources(source_model) -%}
    {%- set cols = [src_pk] + fk + payload + eff + [src_ldts, src_source] -%}
    {%- set hash_fk = [] -%}
    {%- for col in fk if col.endswith("_hk") -%}
        {%- do hash_fk.append(col) -%}
    {%- endfor -%}
{{ config(indexes=vault_indexes(src_pk, 'link')) }}
with

{% for entry in sources -%}
source_{{ loop.index }} as (
    select
        {{ vault_select_columns(entry, cols) }}
    from {{ ref(entry["model"]) }}
    where
        {{ entry["columns"].get(src_pk, src_pk) }} is not null
        {%- for col in hash_fk %}
        and {{ entry["columns"].get(col, col) }} is not null
        {%- endfor %}
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
        {%- for col in fk + payload %}
        ranked.{{ col }},
        {%- endfor %}
        {%- for col in eff %}
        ranked.{{ col }} as effective_from,
        {%- endfor %}
        ranked.{{ src_ldts }} as load_ts,
        ranked.{{ src_source }} as record_source
    {{ vault_first_seen_new_keys(src_pk) }}
)

select * from final
{%- endmacro %}


{#- t_link: AutomateDV's name for a transactional link (a link with payload). -#}
{% macro t_link(src_pk, src_fk, src_payload, src_eff, src_ldts, src_source, source_model) -%}
    {{ link(src_pk, src_fk, src_ldts, src_source, source_model, src_payload, src_eff) }}
{%- endmacro %}
