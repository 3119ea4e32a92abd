with

source as (
    select * from {{ source('raw', 'evt_sponsorship_created') }}
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
        sponsorship_id,
        advertiser_id,
        creator_id,
        post_id,
        -- attributes
        amount,
        currency,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_sponsorship_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('sponsorship_id') }} as sponsorship_hk,
        {{ hash('advertiser_id') }} as advertiser_hk,
        {{ hash('creator_id') }} as creator_hk,
        {{ hash('post_id') }} as post_hk,
        {{ hash(['sponsorship_id', 'post_id']) }} as sponsorship_post_hk
    from renamed
)

select * from final
