{#- ClickHouse replica of link_comment_community: the community of each comment written in one (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_comment_community', order_by='comment_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
