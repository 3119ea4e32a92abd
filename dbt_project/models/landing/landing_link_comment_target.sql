{#- ClickHouse replica of link_comment_target: the author and the post or reel of each comment. -#}
{{ landing_lookup_replica('link_comment_target', key='comment_hk') }}
