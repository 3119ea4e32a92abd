{#-
    eff_sat: effectivity of a link that can end (friendship, follow, membership, ...).

    Start events stage is_active = true, end events is_active = false; the hashdiff covers
    the status (and any payload that should count as a change). The loading rule is the
    satellite's: a status is stored when it differs from the one in force at that time, so
    a duplicate "started" inserts nothing and a late "ended" lands at its own time.
    business_vault.relationship_periods turns the rows into [effective_from, effective_to).

    src_pk      link hash key
    src_dfk     driving foreign hash key(s) (e.g. follower_hk)
    src_sfk     secondary foreign hash key(s) (e.g. followee_hk)
    src_status  boolean status column (is_active)
-#}
{% macro eff_sat(src_pk, src_dfk, src_sfk, src_status, src_hashdiff, src_eff, src_ldts, src_source, source_model, src_payload=none) -%}
    {%- set payload = vault_as_list(src_dfk) + vault_as_list(src_sfk) + [src_status] + vault_as_list(src_payload) -%}
    {{ sat(src_pk, src_hashdiff, payload, src_eff, src_ldts, src_source, source_model) }}
{%- endmacro %}
