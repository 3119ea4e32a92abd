{#- ClickHouse replica of link_post_community: the community of each post published in one. -#}
{{ landing_lookup_replica('link_post_community', key='post_hk') }}
