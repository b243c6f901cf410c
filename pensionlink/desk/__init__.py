"""The desk (办理台): the staff's web app over the case store and the published night."""
