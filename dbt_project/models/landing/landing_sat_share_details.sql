{#- ClickHouse replica of sat_share_details (rows by day, then key). -#}
{{ landing_replica('sat_share_details', order_by='(toDate(effective_from), share_hk)') }}
