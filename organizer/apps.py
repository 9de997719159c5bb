from django.apps import AppConfig


class OrganizerConfig(AppConfig):
    name = "organizer"
    verbose_name = "Organizer operations"

    def ready(self) -> None:
        # The admin speaks for the challenge, not for Django.
        from django.contrib import admin

        admin.site.site_header = "LID challenge · organizers"
        admin.site.site_title = "LID challenge admin"
        admin.site.index_title = "Run the challenge"
        admin.site.site_url = "/"
        # The app list is on the index page; without the side bar the change lists fit 1366 px.
        admin.site.enable_nav_sidebar = False
