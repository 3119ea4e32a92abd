{#- ClickHouse replica of sat_post_details (rows by day, then key). -#}
{{ landing_replica('sat_post_details', order_by='(toDate(effective_from), post_hk)') }}
