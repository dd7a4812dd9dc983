#!/bin/sh
echo "hello $1 from $(cat /etc/hostname)"
