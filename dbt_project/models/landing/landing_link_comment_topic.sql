{#- ClickHouse replica of link_comment_topic: the topic of the content each comment is on. -#}
{{ landing_lookup_replica('link_comment_topic', key='comment_hk') }}
