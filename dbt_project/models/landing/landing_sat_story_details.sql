{#- ClickHouse replica of sat_story_details (rows by day, then key). -#}
{{ landing_replica('sat_story_details', order_by='(toDate(effective_from), story_hk)') }}
