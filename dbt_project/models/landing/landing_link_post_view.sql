{#- ClickHouse replica of link_post_view (rows by day, then key). -#}
{{ landing_replica('link_post_view', order_by='(toDate(effective_from), post_hk)') }}
