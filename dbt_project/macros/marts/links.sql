{#-
    The first-loaded row of a link per key: the link as first delivered. Links are
    insert-only, so conflicting source data (the same post id delivered again with another
    author or topic) leaves two rows for one key; marts join one, the earliest by load_ts
    (ties: the smallest values), so no join fans out and no metric counts a post twice.
    The columns are taken together from that one row.
-#}
{% macro first_link(model, key, columns) -%}
    {%- set row = 'tuple(' ~ columns | join(', ') ~ ')' -%}
    select
        {{ key }},
        {%- for column in columns %}
        tupleElement(first_row, {{ loop.index }}) as {{ column }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select {{ key }}, argMin({{ row }}, (load_ts, {{ row }})) as first_row
        from {{ ref(model) }}
        group by {{ key }}
    ) as first_rows
{%- endmacro %}
