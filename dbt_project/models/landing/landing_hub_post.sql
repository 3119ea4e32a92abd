{#- ClickHouse replica of hub_post: every post's business key. -#}
{{ landing_lookup_replica('hub_post', key='post_hk') }}
