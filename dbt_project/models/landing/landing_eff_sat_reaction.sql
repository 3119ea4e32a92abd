{#- ClickHouse replica of eff_sat_reaction (rows by day, then key). -#}
{{ landing_replica('eff_sat_reaction', order_by='(toDate(effective_from), reaction_hk)') }}
