{#- ClickHouse replica of link_post_community: the community of each post published in one (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_post_community', order_by='post_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
