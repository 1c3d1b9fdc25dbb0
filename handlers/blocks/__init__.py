"""Pure Block Kit builders: data in, Slack JSON out, validated by slack_sdk's models."""
