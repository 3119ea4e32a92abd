{#- ClickHouse replica of link_ad_impression (rows by day, then key). -#}
{{ landing_replica('link_ad_impression', order_by='(toDate(effective_from), ad_hk)') }}
