{#- ClickHouse replica of sat_user_details (rows by day, then key). -#}
{{ landing_replica('sat_user_details', order_by='(toDate(effective_from), user_hk)') }}
