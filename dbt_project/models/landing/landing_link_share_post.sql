{#- ClickHouse replica of link_share_post: the post, sharer and post author of each share or quote. -#}
{{ landing_lookup_replica('link_share_post', key='share_hk') }}
