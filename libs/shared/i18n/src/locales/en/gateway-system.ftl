# System messages of the bot-gateway's ingress: not part of any dialog.

# Sent once when an update could not be handled after every retry and was set aside for the team.
gateway-system-apology = Sorry, something went wrong on our side and we could not process your last message. Our team has been notified. Please try again in a few minutes; your funds are safe.

# Answer to /ping: the bot received the message and can answer.
gateway-system-pong = Pong! The bot is online.
