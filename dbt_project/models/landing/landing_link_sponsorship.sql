{#- ClickHouse replica of link_sponsorship (rows by day, then key). -#}
{{ landing_replica('link_sponsorship', order_by='(toDate(effective_from), sponsorship_hk)') }}
