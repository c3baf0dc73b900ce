"""Running the portal: is it ready (`health`), what it is doing (`metrics`), what its errors may carry (`scrubbing`)."""
