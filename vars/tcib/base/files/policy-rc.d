#!/bin/sh
# Containers run one service started by their command: packages must not start services at install.
exit 101
