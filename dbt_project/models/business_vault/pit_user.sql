{%- set satellites = {
    'sat_user_details': {'pk': 'user_hk', 'ldts': 'effective_from'},
    'sat_user_profile': {'pk': 'user_hk', 'ldts': 'effective_from'},
    'sat_user_settings': {'pk': 'user_hk', 'ldts': 'effective_from'},
    'sat_user_privacy': {'pk': 'user_hk', 'ldts': 'effective_from'},
    'sat_user_status': {'pk': 'user_hk', 'ldts': 'effective_from'},
    'sat_user_lifecycle': {'pk': 'user_hk', 'ldts': 'effective_from'},
} -%}

{{ pit(src_pk='user_hk', as_of_dates_table='as_of_dates', satellites=satellites, source_model='hub_user') }}
