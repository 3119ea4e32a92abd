{#- ClickHouse replica of link_subscription_payment (rows by day, then key). -#}
{{ landing_replica('link_subscription_payment', order_by='(toDate(effective_from), payment_hk)') }}
