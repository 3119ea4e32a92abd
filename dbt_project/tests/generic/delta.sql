{#-
    Tests in proportion to the delta. With var load_ts_from set, every generic test checks
    only the rows loaded after it: the tested model's load_ts (vault, staging, business
    vault) or vault_load_ts (incremental marts), the first of those its YAML documents.
    Uniqueness of a new key is checked against every row (through the key's index), and a
    new child row must find its parent among all rows; except an event id (the staging
    views' key): all rows of one event share its load_ts, so a duplicate of a new event id
    is itself new, and the check stays inside the delta (a staging view has no index to
    find older rows by, and the scan of all of them grew with the history). With load_ts_from null, or on a
    model with neither column, a test checks everything. The built-in generic tests
    (unique, not_null, accepted_values, relationships) are redefined here with the filter
    (macros/delta.sql: delta_predicate).
-#}

{% test unique(model, column_name) %}
{%- set delta = delta_predicate(model) %}

with

final as (
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if delta and column_name == 'event_id' %}
        and {{ delta }}
        {%- elif delta %}
        and {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ delta }})
        {%- endif %}
    group by {{ column_name }}
    having count(*) > 1
)

select * from final

{% endtest %}


{% test not_null(model, column_name) %}
{%- set delta = delta_predicate(model) %}

with

final as (
    select {{ column_name }}
    from {{ model }}
    where
        {{ column_name }} is null
        {%- if delta %}
        and {{ delta }}
        {%- endif %}
)

select * from final

{% endtest %}


{% test accepted_values(model, column_name, values, quote=true) %}
{%- set delta = delta_predicate(model) %}

with

final as (
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} not in (
            {%- for value in values -%}
            {% if quote %}'{{ value }}'{% else %}{{ value }}{% endif %}{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        )
        {%- if delta %}
        and {{ delta }}
        {%- endif %}
    group by {{ column_name }}
)

select * from final

{% endtest %}


{% test relationships(model, column_name, to, field) %}
{%- set delta = delta_predicate(model) %}

with

child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if delta %}
        and {{ delta }}
        {%- endif %}
),

final as (
    select child.from_field
    from child
    where not exists (
        select 1 from {{ to }} as parent
        where parent.{{ field }} = child.from_field
    )
)

select * from final

{% endtest %}
