{#- ClickHouse replica of link_post_topic: the topic of each post. -#}
{{ landing_lookup_replica('link_post_topic', key='post_hk') }}
