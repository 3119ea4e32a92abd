{#- ClickHouse replica of hub_post: every post's business key (rows by key; partitioned by load month). -#}
{{ landing_replica('hub_post', order_by='post_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
