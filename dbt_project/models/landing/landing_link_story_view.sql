{#- ClickHouse replica of link_story_view (rows by day, then key). -#}
{{ landing_replica('link_story_view', order_by='(toDate(effective_from), story_hk)') }}
