{#- ClickHouse replica of sat_reel_details (rows by day, then key). -#}
{{ landing_replica('sat_reel_details', order_by='(toDate(effective_from), reel_hk)') }}
