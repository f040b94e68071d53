# msg
