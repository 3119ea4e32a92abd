{#- ClickHouse replica of link_reel_topic: the topic of each reel. -#}
{{ landing_lookup_replica('link_reel_topic', key='reel_hk') }}
