From: Mail Delivery System <MAILER-DAEMON@${host_name}>
To: ${return_path}
Subject: Undelivered mail returned to sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="${boundary}"

This is a delivery status notification in MIME format (RFC 3464).

--${boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at ${host_name} (${package} ${version}).

Your message could not be delivered to one or more of its recipients.
The mail system has given up on these addresses for good:

@failed_rcpts

The other recipients, if any, were not affected. Your message is
returned below, or only its header when it was large.

For help, write to <postmaster@${host_name}> and include this notice.

--${boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

@delivery_status

--${boundary}
Content-Description: Undelivered message
Content-Type: ${returned_type}

@msg_headers

@msg_body

--${boundary}--
