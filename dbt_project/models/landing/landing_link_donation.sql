{#- ClickHouse replica of link_donation (rows by day, then key). -#}
{{ landing_replica('link_donation', order_by='(toDate(effective_from), donation_hk)') }}
