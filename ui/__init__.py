"""The web app: thin gradio screens over assistant.service."""
