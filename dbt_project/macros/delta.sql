{#- Generic tests in proportion to the delta (tests/generic/delta.sql). -#}

{#- The predicate selecting the delta of `model` ("" when the test checks everything). -#}
{% macro delta_predicate(model) -%}
    {%- set bound = snapshot_bound('load_ts_from') -%}
    {%- if not execute or not bound or model.identifier is not defined -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model.identifier) -%}
    {%- if node is none -%}
        {{- return('') -}}
    {%- endif -%}
    {%- for column in ['load_ts', 'vault_load_ts'] if column in node.columns -%}
        {%- if loop.first -%}
            {%- if target.type == 'clickhouse' -%}
                {{- return(column ~ " > parseDateTime64BestEffort('" ~ bound ~ "', 6, 'UTC')") -}}
            {%- else -%}
                {{- return(column ~ " > cast('" ~ bound ~ "' as timestamptz)") -}}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}


{#- dbt's get_where_subquery (a test's `where` config), with the delta filter in the same
    subquery: a test with a `where` still reads only the delta rows. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set delta = delta_predicate(relation) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ where }}){% if delta %} and {{ delta }}{% endif %}) as dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
