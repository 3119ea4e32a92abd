{#- ClickHouse replica of link_reel_view (rows by day, then key). -#}
{{ landing_replica('link_reel_view', order_by='(toDate(effective_from), reel_hk)') }}
