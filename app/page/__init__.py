"""The dashboard page: its assets, its sign-in and sign-out, served by the app itself."""
