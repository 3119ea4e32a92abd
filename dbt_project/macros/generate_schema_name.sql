{#- Layers live in fixed schemas (staging, raw_vault, business_vault, marts): the custom
    schema is used as is instead of being prefixed with the target schema. On ClickHouse
    every database gets var ch_database_prefix, so a test can build marts (and mirrors of
    its own warehouse) beside the real ones. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('ch_database_prefix', '') if target.type == 'clickhouse' else '' -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
