{#- ClickHouse replica of link_post_author: the user who published each post. -#}
{{ landing_lookup_replica('link_post_author', key='post_hk') }}
