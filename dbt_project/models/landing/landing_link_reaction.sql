{#- ClickHouse replica of link_reaction: the user, target and target author of each reaction. -#}
{{ landing_lookup_replica('link_reaction', key='reaction_hk') }}
