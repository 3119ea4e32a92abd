{#-
    sat: descriptive attributes of a hub or link over time (insert-only).

    A staging row is inserted only when its hashdiff differs from the row just before it
    on that key's timeline, ordered by effective time (src_eff, the event time). The
    timeline holds the new rows and, for their keys, the stored row in force just before
    the earliest new one plus any stored row after it, so
      - an unchanged re-delivery inserts nothing;
      - a re-read of rows already stored (watermark overlap) inserts nothing;
      - a late-arriving change lands at its own effective time, compared with the row
        that was in force then (not with the newest one).

    src_pk        hash key of the parent hub/link
    src_hashdiff  hashdiff column of the staging model (hashdiff macro over src_payload)
    src_payload   descriptive columns
    src_eff       event time column (stored as effective_from)
-#}
{% macro sat(src_pk, src_hashdiff, src_payload, src_eff, src_ldts, src_source, source_model) -%}
    {%- set payload = vault_as_list(src_payload) -%}
    {%- set sources = vault_sources(source_model) -%}
    {%- set cols = [src_pk, src_hashdiff] + payload + [src_eff, src_ldts, src_source] -%}
{{ config(indexes=vault_indexes(src_pk, 'sat')) }}
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
staged as (
    {%- for entry in sources %}
    select
        {{ src_pk }},
        {{ src_hashdiff }} as hashdiff,
        {%- for col in payload %}
        {{ col }},
        {%- endfor %}
        {{ src_eff }} as effective_from,
        {{ src_ldts }} as load_ts,
        {{ src_source }} as record_source,
        1 as is_new
    from source_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
{%- if is_incremental() %}

new_keys as (
    select
        {{ src_pk }},
        min(effective_from) as first_new_effective_from
    from staged
    group by {{ src_pk }}
),

stored_before as (
    select stored.*
    from new_keys
    inner join lateral (
        select
            existing.{{ src_pk }},
            existing.hashdiff,
            {%- for col in payload %}
            existing.{{ col }},
            {%- endfor %}
            existing.effective_from,
            existing.load_ts,
            existing.record_source,
            0 as is_new
        from {{ this }} as existing
        where
            existing.{{ src_pk }} = new_keys.{{ src_pk }}
            and existing.effective_from <= new_keys.first_new_effective_from
        order by existing.effective_from desc, existing.load_ts desc
        limit 1
    ) as stored on true
),

stored_after as (
    select
        existing.{{ src_pk }},
        existing.hashdiff,
        {%- for col in payload %}
        existing.{{ col }},
        {%- endfor %}
        existing.effective_from,
        existing.load_ts,
        existing.record_source,
        0 as is_new
    from {{ this }} as existing
    inner join new_keys
        on
            existing.{{ src_pk }} = new_keys.{{ src_pk }}
            and existing.effective_from > new_keys.first_new_effective_from
),
{%- endif %}

timeline as (
    select * from staged
    {%- if is_incremental() %}
    union all
    select * from stored_before
    union all
    select * from stored_after
    {%- endif %}
),

compared as (
    select
        *,
        lag(hashdiff) over (
            partition by {{ src_pk }}
            order by effective_from, is_new, load_ts, record_source, hashdiff
        ) as previous_hashdiff
    from timeline
),

final as (
    select distinct
        compared.{{ src_pk }},
        compared.hashdiff,
        {%- for col in payload %}
        compared.{{ col }},
        {%- endfor %}
        compared.effective_from,
        compared.load_ts,
        compared.record_source
    from compared
    where
        compared.is_new = 1
        and compared.hashdiff is distinct from compared.previous_hashdiff
        {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as existing
            where
                existing.{{ src_pk }} = compared.{{ src_pk }}
                and existing.effective_from = compared.effective_from
                and existing.hashdiff = compared.hashdiff
        )
        {%- endif %}
)

select * from final
{%- endmacro %}
