{#- ClickHouse replica of link_user_action (rows by day, then key). -#}
{{ landing_replica('link_user_action', order_by='(toDate(effective_from), user_hk)') }}
