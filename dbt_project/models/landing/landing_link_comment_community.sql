{#- ClickHouse replica of link_comment_community: the community of each comment written in one. -#}
{{ landing_lookup_replica('link_comment_community', key='comment_hk') }}
