{#- Shared pieces of the vault table macros. -#}

{#- The incremental watermark: the snapshot bound this table last processed (recorded by
    its post-hook, record_vault_watermark, in the same transaction as its insert), else its
    newest load_ts. Bounds are safe (raw.load_snapshot_bound), so nothing at or below it can
    appear later and no lookback is needed; a hub whose keys are all known (topics) does not
    re-read the events since its last new key. Index-driven: the staging filter
    load_ts > watermark reaches raw.events through its (event_type, loaded_at) index. -#}
{% macro vault_watermark() -%}
    (
        select coalesce(
            (
                select watermark.loaded_until from staging.vault_watermarks as watermark
                where watermark.model = '{{ this.schema }}.{{ this.identifier }}'
            ),
            (select max(load_ts) from {{ this }}),
            cast('-infinity' as timestamptz)
        )
    )
{%- endmacro %}


{#- Post-hook of every raw vault model: this table now holds every row up to the bound. -#}
{% macro record_vault_watermark() -%}
    insert into staging.vault_watermarks (model, loaded_until)
    values ('{{ this.schema }}.{{ this.identifier }}', {{ load_ts_literal(load_ts_to()) }})
    on conflict (model) do update set loaded_until = excluded.loaded_until
{%- endmacro %}


{#- The indexes of a vault table (dbt-postgres `indexes`): the key (unique for hubs and
    links: the anti-join of an insert and the parent side of every relationships test),
    load_ts (the watermark and the delta tests), and for satellites
    (key, effective_from, load_ts): the "row in force before" lookup and the anti-join. -#}
{% macro vault_indexes(src_pk, kind) -%}
    {%- if kind == 'sat' -%}
        {%- set indexes = [{'columns': [src_pk, 'effective_from', 'load_ts']}] -%}
    {%- else -%}
        {%- set indexes = [{'columns': [src_pk], 'unique': true}] -%}
    {%- endif -%}
    {%- do indexes.append({'columns': ['load_ts']}) -%}
    {{- return(indexes) -}}
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


{#- Business vault incremental models: keep the rows whose `key` has a row of any of
    `changed_models` loaded since the model's watermark (a CTE `watermark` with one column
    loaded_until); nothing on a full build. -#}
{% macro changed_keys_filter(key, changed_models) -%}
    {%- if is_incremental() %}
    where {{ key }} in (
        {%- for changed in changed_models %}
        select changed.{{ key }} from {{ ref(changed) }} as changed
        where changed.load_ts > (select loaded_until from watermark)
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}
