{#- ClickHouse replica of sat_comment_details (rows by day, then key). -#}
{{ landing_replica('sat_comment_details', order_by='(toDate(effective_from), comment_hk)') }}
