{#- ClickHouse replica of link_ad_click (rows by day, then key). -#}
{{ landing_replica('link_ad_click', order_by='(toDate(effective_from), ad_hk)') }}
