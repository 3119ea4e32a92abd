with

source as (
    select * from {{ source('raw', 'evt_post_quoted') }}
    where {{ loaded_until('loaded_at') }}
),

renamed as (
    select
        -- envelope
        event_id,
        entity_type,
        entity_id,
        actor_id,
        -- ids
        share_id,
        post_id,
        post_author_id,
        user_id,
        via_share_id,
        -- attributes
        depth,
        destination,
        quote_text,
        -- derived and renamed
        'quote' as share_kind,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_post_quoted' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('share_id') }} as share_hk,
        {{ hash('post_id') }} as post_hk,
        {{ hash('user_id') }} as user_hk,
        {{ hash('post_author_id') }} as post_author_hk,
        {{ hash('via_share_id') }} as via_share_hk,
        {{ hash(['share_id', 'post_id', 'user_id']) }} as share_post_hk,
        {{ hash(['share_id', 'via_share_id']) }} as share_via_hk,
        {{ hashdiff(['share_kind', 'depth', 'destination', 'quote_text']) }} as share_details_hashdiff
    from renamed
)

select * from final
