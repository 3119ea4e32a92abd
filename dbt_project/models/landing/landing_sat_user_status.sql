{#- ClickHouse replica of sat_user_status (rows by day, then key). -#}
{{ landing_replica('sat_user_status', order_by='(toDate(effective_from), user_hk)') }}
